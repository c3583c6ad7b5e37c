package org.cryptonets.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One accepted job as the store keeps it ({@code jobs/ID/job.json}, written atomically) and as
 * {@code GET /jobs/ID} reports it (without the client). Times are milliseconds since the epoch, 0
 * when not reached yet.
 *
 * <p>Immutable; thread-safe; throws nothing.
 *
 * @param clientId SHA-256 of the client's token (the token itself is never stored)
 * @param attempts how many times a worker has started the job (a restart during a run counts one)
 */
public record JobRecord(
    @JsonProperty("job_id") String jobId,
    @JsonProperty("client") String clientId,
    @JsonProperty("key_id") String keyId,
    @JsonProperty("model") String model,
    @JsonProperty("model_sha256") String modelSha256,
    @JsonProperty("state") JobState state,
    @JsonProperty("reason") String reason,
    @JsonProperty("images") int images,
    @JsonProperty("attempts") int attempts,
    @JsonProperty("upload_bytes") long uploadBytes,
    @JsonProperty("result_bytes") long resultBytes,
    @JsonProperty("submitted_at") long submittedAt,
    @JsonProperty("started_at") long startedAt,
    @JsonProperty("finished_at") long finishedAt,
    @JsonProperty("seconds") double seconds) {

  /** A job just accepted. */
  static JobRecord queued(String jobId, String clientId, String keyId, String model, String modelSha256, int images, long uploadBytes) {
    return new JobRecord(jobId, clientId, keyId, model, modelSha256, JobState.QUEUED, null, images, 0, uploadBytes, 0, System.currentTimeMillis(), 0, 0, 0);
  }

  JobRecord requeued() {
    return new JobRecord(jobId, clientId, keyId, model, modelSha256, JobState.QUEUED, null, images, attempts, uploadBytes, 0, submittedAt, 0, 0, 0);
  }

  JobRecord running() {
    return new JobRecord(jobId, clientId, keyId, model, modelSha256, JobState.RUNNING, null, images, attempts + 1, uploadBytes, 0, submittedAt,
        System.currentTimeMillis(), 0, 0);
  }

  JobRecord done(long resultBytes, double seconds) {
    return new JobRecord(jobId, clientId, keyId, model, modelSha256, JobState.DONE, null, images, attempts, uploadBytes, resultBytes, submittedAt, startedAt,
        System.currentTimeMillis(), seconds);
  }

  JobRecord failed(String why) {
    return new JobRecord(jobId, clientId, keyId, model, modelSha256, JobState.FAILED, why, images, attempts, uploadBytes, 0, submittedAt, startedAt,
        System.currentTimeMillis(), 0);
  }
}
