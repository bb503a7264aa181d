/* placeholder, being written */
typedef int ivp_placeholder_brentq_;
