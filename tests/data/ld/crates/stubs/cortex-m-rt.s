/* What cortex-m-rt's own object provides: a vector table and a reset handler. */
    .section .vector_table.reset_vector,"a"
    .word Reset
    .section .vector_table.exceptions,"a"
    .fill 14, 4, 0
    .section .vector_table.interrupts,"a"
    .fill 16, 4, 0
    .text
    .thumb
    .globl Reset
    .type Reset, %function
Reset:
    b Reset
