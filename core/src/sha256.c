/* placeholder, being written */
typedef int ivp_placeholder_sha256_;
