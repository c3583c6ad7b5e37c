package org.cryptonets.service;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where a job is: queued, running, done (results can be fetched) or failed (with a reason). Immutable; thread-safe. */
public enum JobState {
  QUEUED, RUNNING, DONE, FAILED;

  /** The lower-case name used in JSON and the store. */
  @JsonValue
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the job still waits for or takes a worker. */
  public boolean active() {
    return this == QUEUED || this == RUNNING;
  }
}
