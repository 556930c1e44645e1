@ Hand-written Thumb sequences for the SP tracker. Each function's expected frame and
@ worst case are in tests/stack.rs (and in the comment beside it). Rebuild with
@ scripts/build-stack-fixtures.sh.
    .syntax unified
    .cpu cortex-m4
    .fpu fpv4-sp-d16
    .thumb

    .section .isr_vector, "a"
    .word 0x20010000
    .word Reset_Handler + 1
    .word Default_Handler + 1     @ NMI
    .word Default_Handler + 1     @ HardFault
    .rept 11
    .word Default_Handler + 1
    .endr
    .word f_systick + 1           @ SysTick (15)
    .word Default_Handler + 1     @ IRQ0
    .word Default_Handler + 1     @ IRQ1

    .text
    .macro func name
    .global \name
    .type \name, %function
    .thumb_func
\name:
    .endm

func Reset_Handler                @ frame 0, worst = f_tail 584
    bl f_call
    bl f_tail
    bl f_longcall
    bl f_it
    bl f_prewb
    bl f_stmdb
    bl f_subreg
    bl f_v6m_big
    bl f_tbb
    bl f_fp
    bl f_midcaller
    b .
    .size Reset_Handler, . - Reset_Handler

func Default_Handler              @ frame 0
    b .
    .size Default_Handler, . - Default_Handler

func f_systick                    @ frame 16
    push {r4-r6, lr}
    pop {r4-r6, pc}
    .size f_systick, . - f_systick

func f_push                       @ frame 36
    push {r4-r7, lr}
f_push_body:
    sub sp, #16
    add sp, #16
    pop {r4-r7, pc}
    .size f_push, . - f_push

func f_vpush                      @ frame 8 + 64 + 512 = 584
    push {r7, lr}
    vpush {d8-d15}
    sub.w sp, sp, #512
    add.w sp, sp, #512
    vpop {d8-d15}
    pop {r7, pc}
    .size f_vpush, . - f_vpush

func f_fp                         @ frame 8 + 24 = 32; mov sp, r7 restores
    push {r7, lr}
    mov r7, sp
    sub sp, #24
    mov sp, r7
    pop {r7, pc}
    .size f_fp, . - f_fp

func f_it                         @ frame 8 + 8 = 16; popeq returns on one path only
    push {r4, lr}
    cmp r0, #0
    itt eq
    moveq r0, #1
    popeq {r4, pc}
    sub sp, #8
    add sp, #8
    pop {r4, pc}
    .size f_it, . - f_it

func f_prewb                      @ frame 8 (str lr, [sp, #-8]!)
    str.w lr, [sp, #-8]!
    ldr.w pc, [sp], #8
    .size f_prewb, . - f_prewb

func f_stmdb                      @ frame 36
    stmdb sp!, {r4-r11, lr}
    ldmia.w sp!, {r4-r11, pc}
    .size f_stmdb, . - f_stmdb

func f_subreg                     @ frame 8 + 1024 = 1032 (register known from a literal)
    push {r7, lr}
    ldr r3, =1024
    sub.w sp, sp, r3
    add.w sp, sp, r3
    pop {r7, pc}
    .ltorg
    .size f_subreg, . - f_subreg

func f_v6m_big                    @ frame 4 + 2048 = 2052 (ARMv6-M style: add sp, r3)
    push {lr}
    ldr r3, =-2048
    add sp, r3
    ldr r3, =2048
    add sp, r3
    pop {pc}
    .ltorg
    .size f_v6m_big, . - f_v6m_big

func f_alloca                     @ frame 8, dynamic SP (not reached from a root)
    push {r7, lr}
    mov r7, sp
    sub.w sp, sp, r0
    mov sp, r7
    pop {r7, pc}
    .size f_alloca, . - f_alloca

func f_call                       @ frame 16, worst 16 + 36 = 52
    push {r4, lr}
    sub sp, #8
    bl f_push
    add sp, #8
    pop {r4, pc}
    .size f_call, . - f_call

func f_tail                       @ frame 8, worst 0 + 584 = 584 (tail call after the pop)
    push {r4, lr}
    pop.w {r4, lr}
    b.w f_vpush
    .size f_tail, . - f_tail

func f_longcall                   @ frame 8, worst 8 + 36 = 44 (blx to a literal address)
    push {r7, lr}
    ldr r3, =f_push + 1
    blx r3
    pop {r7, pc}
    .ltorg
    .size f_longcall, . - f_longcall

func f_tbb                        @ frame 8 + 64 = 72: the deep case is reached only via tbb
    push {r4, lr}
    tbb [pc, r0]
1:
    .byte (2f - 1b) / 2
    .byte (3f - 1b) / 2
    .balign 2
2:
    sub sp, #64
    add sp, #64
    pop {r4, pc}
3:
    pop {r4, pc}
    .size f_tbb, . - f_tbb

func f_midcaller                  @ frame 8, calls into the middle of f_push: worst 8 + 16
    push {r7, lr}
    bl f_push_body
    pop {r7, pc}
    .size f_midcaller, . - f_midcaller

func f_indirect                   @ frame 8, indirect call (not reached from a root)
    push {r7, lr}
    blx r0
    pop {r7, pc}
    .size f_indirect, . - f_indirect

func f_rec                        @ frame 8, recursion (not reached from a root)
    push {r7, lr}
    bl f_rec
    pop {r7, pc}
    .size f_rec, . - f_rec

func f_thread                     @ frame 8; with the budget annotations of seqs.budget.json:
    push {r7, lr}                 @ worst 8 + max(44, 32, 64) = 72
    bl f_indirect                 @ blx r0 -> f_push: 8 + 36 = 44
    bl f_rec                      @ 4 activations: 3 * 8 + 8 = 32
    bl f_alloca                   @ frame given as 64
    pop {r7, pc}
    .size f_thread, . - f_thread

    .balign 4
func f_veneer_v7                  @ frame 0, worst 36: a long-branch veneer (ldr pc, literal)
    ldr.w pc, [pc, #-0]
    .word f_push + 1
    .size f_veneer_v7, . - f_veneer_v7

func f_veneer_v6                  @ frame 4, worst 0 + 36: an ARMv6-M veneer through ip
    push {r0}
    ldr r0, 1f
    mov ip, r0
    pop {r0}
    bx ip
    .balign 4
1:  .word f_push + 1
    .size f_veneer_v6, . - f_veneer_v6
