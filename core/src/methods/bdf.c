/* placeholder, being written */
typedef int ivp_placeholder_bdf_;
