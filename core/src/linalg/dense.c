/* placeholder, being written */
typedef int ivp_placeholder_dense_;
