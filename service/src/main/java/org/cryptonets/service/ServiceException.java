package org.cryptonets.service;

/**
 * A refusal the service answers with an HTTP status and a message for the client, as JSON
 * {@code {"error": MESSAGE, "code": CODE}}: malformed input (400), a missing or wrong token (401),
 * an unknown or another client's key or job (404), a conflict with the job's state or the keys'
 * model (409), a body over the limit (413), a client over its quota (429), shutting down (503).
 *
 * <p>Immutable; thread-safe.
 */
public final class ServiceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;

  /**
   * @param status the HTTP status
   * @param code a short machine-readable reason, such as {@code unknown_key}
   */
  public ServiceException(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  public ServiceException(int status, String code, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.code = code;
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  /** The machine-readable reason. */
  public String code() {
    return code;
  }
}
