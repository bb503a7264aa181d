/* placeholder, being written */
typedef int ivp_placeholder_plugin_header_;
