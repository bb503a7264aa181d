typedef int ivp_placeholder_main_;
int main(void) { return 0; }
