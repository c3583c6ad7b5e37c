package org.cryptonets.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One registered evaluation-keys file as the store keeps it ({@code keys/ID/key.json}, written
 * atomically beside {@code evaluation.keys}).
 *
 * <p>Immutable; thread-safe; throws nothing.
 *
 * @param clientId SHA-256 of the token of the client that registered the keys
 * @param modelSha256 the model the keys were made for
 * @param securityBits the parameters' security level (below 128: test parameters)
 */
public record KeyRecord(
    @JsonProperty("key_id") String keyId,
    @JsonProperty("client") String clientId,
    @JsonProperty("model_name") String modelName,
    @JsonProperty("model_sha256") String modelSha256,
    @JsonProperty("n") int n,
    @JsonProperty("security_bits") int securityBits,
    @JsonProperty("bytes") long bytes,
    @JsonProperty("created_at") long createdAt) {
}
