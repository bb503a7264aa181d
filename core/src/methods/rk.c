/* placeholder, being written */
typedef int ivp_placeholder_rk_;
