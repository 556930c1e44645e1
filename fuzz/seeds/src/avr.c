int g = 3; static char b[10]; const char t[4] = "abc"; int main(void){ b[g&7] = t[g&3]; return b[1]; }
