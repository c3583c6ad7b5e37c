/**
 * Reading trained networks into {@link org.cryptonets.net.FloatNetwork}:
 * {@link org.cryptonets.onnx.OnnxImporter} for ONNX files (as PyTorch's {@code torch.onnx.export}
 * writes them, opsets 9 to 17 and others near them) and {@link org.cryptonets.onnx.ModelFiles},
 * which also reads the project's own model files. Every failure is an
 * {@link org.cryptonets.onnx.OnnxImportException} whose message names the file and, for an
 * operator a CryptoNet cannot evaluate, the node and what to use instead.
 *
 * <p>The ONNX schema is read with protobuf classes generated at build time from the subset of
 * {@code onnx.proto} in {@code src/main/proto}.
 */
package org.cryptonets.onnx;
