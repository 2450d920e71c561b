// SPDX-License-Identifier: MIT
package org.acore;

import java.util.Collections;
import java.util.List;

/** An acore error: the code (ACORE_E*, negative) and its name ("ETIMEDOUT").
 *  Cancellation is java.util.concurrent.CancellationException instead. */
public class AcoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int code;
  private final String codeName;

  public AcoreException(int code, String codeName, String message, Throwable cause) {
    super(codeName + ": " + message, cause);
    this.code = code;
    this.codeName = codeName;
  }

  /** ACORE_E* (negative). */
  public int code() { return code; }

  /** The code's name, e.g. "ETIMEDOUT". */
  public String codeName() { return codeName; }

  static AcoreException of(int code, String name, String message, Throwable cause) {
    switch (code) {
      case -3: return new InvalidState(name, message);
      case -5: return new Timeout(name, message);
      case -6: return new Closed(message);
      case -10: return new Full(name, message);
      case -11: return new Empty(name, message);
      case -17: return new Host(message, cause);
      default: return new AcoreException(code, name, message, cause);
    }
  }

  /** EINVALIDSTATE: e.g. the result of a pending future. */
  public static class InvalidState extends AcoreException {
    private static final long serialVersionUID = 1L;
    InvalidState(String name, String message) { super(-3, name, message, null); }
  }

  /** ETIMEDOUT: waitFor's timeout, a deadline. */
  public static class Timeout extends AcoreException {
    private static final long serialVersionUID = 1L;
    Timeout(String name, String message) { super(-5, name, message, null); }
  }

  /** ECLOSED: the loop, the object or the executor is closed. */
  public static class Closed extends AcoreException {
    private static final long serialVersionUID = 1L;
    Closed(String message) { super(-6, "ECLOSED", message, null); }
  }

  /** EFULL: a bounded queue is full. */
  public static class Full extends AcoreException {
    private static final long serialVersionUID = 1L;
    Full(String name, String message) { super(-10, name, message, null); }
  }

  /** EEMPTY: nothing to take now. */
  public static class Empty extends AcoreException {
    private static final long serialVersionUID = 1L;
    Empty(String name, String message) { super(-11, name, message, null); }
  }

  /** EHOST: a Java exception (its cause) a task, a callback or an executor
   *  job threw, read back from the future it failed. */
  public static class Host extends AcoreException {
    private static final long serialVersionUID = 1L;
    Host(String message, Throwable cause) { super(-17, "EHOST", message, cause); }
  }

  /** EGROUP: a task group's errors, one per failed task. */
  public static class Group extends AcoreException {
    private static final long serialVersionUID = 1L;
    private final List<Throwable> errors;

    Group(String message, List<Throwable> errors) {
      super(-14, "EGROUP", message, errors.isEmpty() ? null : errors.get(0));
      this.errors = Collections.unmodifiableList(errors);
    }

    public List<Throwable> errors() { return errors; }
  }
}
