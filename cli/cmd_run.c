typedef int ivp_placeholder_cmd_run_;
