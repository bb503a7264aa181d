/* placeholder, being written */
typedef int ivp_placeholder_dop853_;
