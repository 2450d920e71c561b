// SPDX-License-Identifier: MIT
package org.acore;

import org.acore.Future.Signal;

/** acore's event: wait() futures complete once it is set. */
public final class Event extends Ref {
  final Loop loop;

  public Event(Loop loop) {
    super(EVENT, Native.acore_event_new(loop.p()), loop);
    this.loop = loop;
  }

  public Event() { this(Loop.current()); }

  public void set() { Native.acore_event_set(p()); }

  public void clear() { Native.acore_event_clear(p()); }

  public boolean isSet() { return Native.acore_event_is_set(p()) == 1; }

  public Future<Void> await() { return new Signal(loop, Native.acore_event_wait(p())); }
}
