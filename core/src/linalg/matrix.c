/* placeholder, being written */
typedef int ivp_placeholder_matrix_;
