/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kselftest_harness.h with a per-test timeout that fits the slowest guest
 * we run: QEMU/TCG with a KASAN and lockdep kernel is ten times slower than
 * the stock one, and a test killed by the harness' alarm keeps its device
 * open while it dies, failing the tests after it. A real hang is still
 * caught by the suite's and vm-run's own timeouts and the hung-task
 * detector.
 */
#ifndef DVP_HARNESS_H
#define DVP_HARNESS_H

#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600

#endif /* DVP_HARNESS_H */
