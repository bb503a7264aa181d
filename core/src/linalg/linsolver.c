/* placeholder, being written */
typedef int ivp_placeholder_linsolver_;
