/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CPU_FENCE_H
#define VIGIL_CPU_FENCE_H

/*
 * Waits until every CPU has left the code it could not be preempted in when
 * this was called: bottom halves, where tc and the packet filter run, and
 * BPF programs. After it, whatever such code read before the call (a map
 * value it then counted by) is no longer in use.
 *
 * On a kernel without PREEMPT_RT, where that code is never preempted, the
 * calling thread visits each online CPU in turn (a CPU that runs it has left
 * any such section); where it cannot (its CPUs are restricted) or the kernel
 * preempts bottom halves, it asks the kernel for a full RCU grace period
 * (membarrier), which takes milliseconds instead of microseconds. The
 * thread's CPU affinity is restored. 0 or a negative errno.
 */
int vigil_cpu_fence(void);

#endif
