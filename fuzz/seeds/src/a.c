int counter = 1;
static char buf[64];
const char table[16] = "0123456789abcdef";
char heap_mem[128] __attribute__((section(".heap")));
int add(int a, int b) { buf[a & 63] = table[b & 15]; return a + b + counter; }
void Reset(void) { counter = add(counter, 2); for (;;) {} }
