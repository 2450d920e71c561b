// SPDX-License-Identifier: MIT
package org.acore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;

/** Between Java exceptions and acore errors (called from C too). */
final class Errors {
  static final int ECANCELLED = -4, EHOST = -17, EGROUP = -14;

  /** The code an exception fails a future with. */
  static int codeOf(Throwable t) {
    if (t instanceof AcoreException)
      return ((AcoreException) t).code();
    if (t instanceof CancellationException)
      return ECANCELLED;
    return EHOST;
  }

  static String messageOf(Throwable t) { return String.valueOf(t); }

  /** What a negative return throws. */
  static Throwable raise(int code, String name, String message) {
    return AcoreException.of(code, name, message, null);
  }

  /** What reading the acore error `err` (borrowed) throws: the Java
   *  exception it carries (an AcoreException or a CancellationException
   *  as it is, any other as the cause of an AcoreException.Host), else an
   *  AcoreException for its code. */
  static RuntimeException fromError(long err) {
    Object p = Native.jk_error_payload(err);
    if (p instanceof AcoreException || p instanceof CancellationException)
      return (RuntimeException) p;
    String msg = Native.acore_error_message(err);
    if (p instanceof Throwable)
      return new AcoreException.Host(msg, (Throwable) p);
    int code = (int) Native.acore_error_code(err);
    if (code == EGROUP) {
      List<Throwable> errors = new ArrayList<>();
      long n = Native.acore_error_child_count(err);
      for (long i = 0; i < n; i++)
        errors.add(fromError(Native.jk_error_child(err, i)));
      return new AcoreException.Group(msg, errors);
    }
    if (code == ECANCELLED)
      return new CancellationException(msg);
    return AcoreException.of(code, Native.acore_err_name(code), msg, null);
  }

  private Errors() {}
}
