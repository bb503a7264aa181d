/* placeholder, being written */
typedef int ivp_placeholder_h5sink_;
