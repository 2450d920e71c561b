// SPDX-License-Identifier: MIT
package org.acore;

/** What C calls back (a kit host callable, held by a JNI global reference
 *  while acore holds it). {@code rkind} says what a call's long return is:
 *  nothing, an int verdict, a boolean, or a new future reference. */
abstract class Fn {
  static final int NONE = 0, INT = 1, FUTURE = 5, BOOL = 8;
  final int rkind;

  Fn(int rkind) { this.rkind = rkind; }

  long call0() { throw new UnsupportedOperationException(); }
  long callInt(long i) { throw new UnsupportedOperationException(); }
  long callValues(Object a, Object b) { throw new UnsupportedOperationException(); }
  void report(int kind, String message, String name, long err) {
    throw new UnsupportedOperationException();
  }
  Object work(long job) throws Exception { throw new UnsupportedOperationException(); }

  static Fn of(Runnable r) {
    return new Fn(NONE) {
      @Override long call0() { r.run(); return 0; }
    };
  }
}
