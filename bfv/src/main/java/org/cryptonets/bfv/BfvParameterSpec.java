package org.cryptonets.bfv;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain, mutable description of a BFV parameter set, turned into a checked immutable
 * {@link BfvParameters} by {@link BfvParameters#create}. Either name the primes explicitly or give
 * their sizes and let the deterministic prime search pick them.
 *
 * <p>Not thread-safe (a value holder).
 */
public final class BfvParameterSpec {
  /** Ring degree n (slots per ciphertext). */
  public int n = 8192;
  /** Sizes in bits of the ciphertext primes q_i (used when {@link #coeffPrimes} is empty). */
  public List<Integer> coeffPrimeBits = new ArrayList<>(List.of(31, 31, 31, 31, 31, 31, 31));
  /** Explicit ciphertext primes; overrides {@link #coeffPrimeBits} when non-empty. */
  public List<Long> coeffPrimes = new ArrayList<>();
  /** Size in bits of each plaintext prime (used when {@link #plainPrimes} is empty). */
  public int plainPrimeBits = 25;
  /** Number of plaintext primes t_1..t_k combined by CRT. */
  public int plainPrimeCount = 3;
  /** Explicit plaintext primes; overrides the two fields above when non-empty. */
  public List<Long> plainPrimes = new ArrayList<>();
  /** The security level the parameters must reach; NONE only in tests. */
  public SecurityLevel security = SecurityLevel.TC128;

  public BfvParameterSpec() {}

  public static BfvParameterSpec of(int n, List<Integer> coeffPrimeBits, int plainPrimeBits, int plainPrimeCount) {
    BfvParameterSpec s = new BfvParameterSpec();
    s.n = n;
    s.coeffPrimeBits = new ArrayList<>(coeffPrimeBits);
    s.plainPrimeBits = plainPrimeBits;
    s.plainPrimeCount = plainPrimeCount;
    return s;
  }
}
