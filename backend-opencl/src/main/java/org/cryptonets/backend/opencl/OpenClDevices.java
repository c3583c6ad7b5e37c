package org.cryptonets.backend.opencl;

import static org.jocl.CL.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_LOCAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ACCELERATOR;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_CPU;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_DEVICE_VERSION;
import static org.jocl.CL.CL_PLATFORM_NAME;
import static org.jocl.CL.CL_PLATFORM_VERSION;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cryptonets.engine.EngineException;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * Finds OpenCL platforms and devices and picks the one the backend runs on.
 *
 * <p>Selection, by system properties {@value #PLATFORM_PROPERTY} and {@value #DEVICE_PROPERTY},
 * each either an index or a case-insensitive substring of the name as {@link #describe()} prints
 * them. Device indices count within the chosen platform. Without a platform, a device name is looked
 * for on every platform and a device index applies to platform 0. Without a device, the first GPU
 * wins (on the chosen platform, or on any platform in order), else the first device of any type.
 *
 * <p>Stateless; thread-safe. Every method throws {@link EngineException} {@code BACKEND_UNAVAILABLE}
 * when the OpenCL library cannot be loaded, no platform exists, or the selection matches nothing; the
 * message names what was asked and what exists.
 */
public final class OpenClDevices {
  public static final String PLATFORM_PROPERTY = "cryptonets.opencl.platform";
  public static final String DEVICE_PROPERTY = "cryptonets.opencl.device";

  private OpenClDevices() {}

  /** A chosen device with the names used in messages. */
  record Choice(cl_platform_id platform, cl_device_id device, String platformName, String deviceName, String summary) {}

  private record Platform(int index, cl_platform_id id, String name, String version, List<Device> devices) {}

  private record Device(int index, cl_device_id id, String name, long type, String summary) {
    boolean gpu() {
      return (type & CL_DEVICE_TYPE_GPU) != 0;
    }
  }

  /**
   * One line per platform and one per device, indented, in selection order, for a CLI listing.
   *
   * @throws EngineException {@code BACKEND_UNAVAILABLE} if OpenCL cannot be loaded or has no platform
   */
  public static List<String> describe() {
    List<String> lines = new ArrayList<>();
    for (Platform p : platforms()) {
      lines.add("platform " + p.index + ": " + p.name + " (" + p.version + ")");
      if (p.devices.isEmpty()) {
        lines.add("  (no devices)");
      }
      for (Device d : p.devices) {
        lines.add("  device " + d.index + ": " + d.summary);
      }
    }
    return lines;
  }

  /**
   * Null if {@link #select} would succeed with the current system properties, else why not.
   * Never throws.
   */
  public static String unavailableReason() {
    try {
      selectFromProperties();
      return null;
    } catch (EngineException e) {
      return e.getMessage();
    } catch (RuntimeException | LinkageError e) {
      return "OpenCL cannot be used: " + e;
    }
  }

  static Choice selectFromProperties() {
    return select(System.getProperty(PLATFORM_PROPERTY), System.getProperty(DEVICE_PROPERTY));
  }

  /** Null or blank arguments mean "not specified". */
  static Choice select(String platformSpec, String deviceSpec) {
    List<Platform> all = platforms();
    String platformAsked = blank(platformSpec) ? null : platformSpec.trim();
    String deviceAsked = blank(deviceSpec) ? null : deviceSpec.trim();
    List<Platform> candidates = all;
    if (platformAsked != null) {
      Platform p = match(all, platformAsked, Platform::index, Platform::name);
      if (p == null) {
        throw unavailable("no OpenCL platform matches " + PLATFORM_PROPERTY + "='" + platformAsked + "'", all);
      }
      candidates = List.of(p);
    }
    if (deviceAsked != null) {
      boolean index = isIndex(deviceAsked);
      List<Platform> searched = index && platformAsked == null ? List.of(all.get(0)) : candidates;
      for (Platform p : searched) {
        Device d = match(p.devices, deviceAsked, Device::index, Device::name);
        if (d != null) {
          return choice(p, d);
        }
      }
      throw unavailable(
          "no OpenCL device matches " + DEVICE_PROPERTY + "='" + deviceAsked + "'"
              + (platformAsked == null ? (index ? " on platform 0" : "") : " on platform '" + platformAsked + "'"),
          all);
    }
    for (Platform p : candidates) {
      for (Device d : p.devices) {
        if (d.gpu()) {
          return choice(p, d);
        }
      }
    }
    for (Platform p : candidates) {
      if (!p.devices.isEmpty()) {
        return choice(p, p.devices.get(0));
      }
    }
    throw unavailable(
        "no OpenCL device found" + (platformAsked == null ? "" : " on platform '" + platformAsked + "'"), all);
  }

  private static Choice choice(Platform p, Device d) {
    return new Choice(p.id, d.id, p.name, d.name, d.summary);
  }

  private interface IndexOf<T> {
    int index(T t);
  }

  private interface NameOf<T> {
    String name(T t);
  }

  private static <T> T match(List<T> items, String spec, IndexOf<T> indexOf, NameOf<T> nameOf) {
    if (isIndex(spec)) {
      int wanted = Integer.parseInt(spec);
      for (T t : items) {
        if (indexOf.index(t) == wanted) {
          return t;
        }
      }
      return null;
    }
    String needle = spec.toLowerCase(Locale.ROOT);
    for (T t : items) {
      if (nameOf.name(t).toLowerCase(Locale.ROOT).contains(needle)) {
        return t;
      }
    }
    return null;
  }

  private static boolean isIndex(String s) {
    return !s.isEmpty() && s.length() < 9 && s.chars().allMatch(Character::isDigit);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static EngineException unavailable(String what, List<Platform> all) {
    StringBuilder sb = new StringBuilder(what).append("; available:");
    for (Platform p : all) {
      sb.append(p.index == 0 ? " " : "; ").append("platform ").append(p.index).append(" '").append(p.name).append("' with ");
      if (p.devices.isEmpty()) {
        sb.append("no devices");
      }
      for (Device d : p.devices) {
        sb.append(d.index == 0 ? "" : ", ").append("device ").append(d.index).append(" '").append(d.name).append('\'');
      }
    }
    return new EngineException(EngineException.Code.BACKEND_UNAVAILABLE, sb.toString());
  }

  /** Loads JOCL and the OpenCL ICD loader, or explains why they cannot be used here. */
  static void loadLibrary() {
    try {
      CL.setExceptionsEnabled(true);
    } catch (LinkageError e) {
      // UnsatisfiedLinkError the first time, NoClassDefFoundError for org.jocl.CL afterwards.
      throw new EngineException(
          EngineException.Code.BACKEND_UNAVAILABLE,
          "the OpenCL library cannot be loaded (is an OpenCL driver with libOpenCL.so installed, e.g. Debian's"
              + " ocl-icd-libopencl1 with pocl-opencl-icd or a GPU vendor driver?): " + e,
          e);
    }
  }

  private static List<Platform> platforms() {
    loadLibrary();
    cl_platform_id[] ids;
    try {
      int[] count = new int[1];
      CL.clGetPlatformIDs(0, null, count);
      ids = new cl_platform_id[count[0]];
      if (count[0] > 0) {
        CL.clGetPlatformIDs(count[0], ids, null);
      }
    } catch (CLException e) {
      // The ICD loader reports CL_PLATFORM_NOT_FOUND_KHR when no vendor driver is registered.
      throw new EngineException(
          EngineException.Code.BACKEND_UNAVAILABLE, "no OpenCL platform found (no ICD registered in /etc/OpenCL/vendors?): " + e.getMessage(), e);
    } catch (LinkageError e) {
      throw new EngineException(EngineException.Code.BACKEND_UNAVAILABLE, "the OpenCL library cannot be used: " + e, e);
    }
    if (ids.length == 0) {
      throw new EngineException(EngineException.Code.BACKEND_UNAVAILABLE, "no OpenCL platform found (no ICD registered in /etc/OpenCL/vendors?)");
    }
    List<Platform> out = new ArrayList<>();
    for (int p = 0; p < ids.length; p++) {
      try {
        out.add(new Platform(p, ids[p], platformInfo(ids[p], CL_PLATFORM_NAME), platformInfo(ids[p], CL_PLATFORM_VERSION), devices(ids[p])));
      } catch (CLException e) {
        throw new EngineException(EngineException.Code.BACKEND_UNAVAILABLE, "cannot query OpenCL platform " + p + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static List<Device> devices(cl_platform_id platform) {
    int[] count = new int[1];
    try {
      CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, count);
    } catch (CLException e) {
      if (e.getStatus() == CL.CL_DEVICE_NOT_FOUND) {
        return List.of();
      }
      throw e;
    }
    cl_device_id[] ids = new cl_device_id[count[0]];
    if (count[0] > 0) {
      CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count[0], ids, null);
    }
    List<Device> out = new ArrayList<>();
    for (int d = 0; d < ids.length; d++) {
      String name = deviceString(ids[d], CL_DEVICE_NAME);
      long type = deviceLong(ids[d], CL_DEVICE_TYPE);
      String summary = name + " [" + typeName(type) + "] " + deviceString(ids[d], CL_DEVICE_VERSION) + ", "
          + deviceInt(ids[d], CL_DEVICE_MAX_COMPUTE_UNITS) + " compute units, "
          + (deviceLong(ids[d], CL_DEVICE_GLOBAL_MEM_SIZE) >> 20) + " MiB global, "
          + (deviceLong(ids[d], CL_DEVICE_LOCAL_MEM_SIZE) >> 10) + " KiB local memory";
      out.add(new Device(d, ids[d], name, type, summary));
    }
    return out;
  }

  private static String typeName(long type) {
    if ((type & CL_DEVICE_TYPE_GPU) != 0) {
      return "GPU";
    }
    if ((type & CL_DEVICE_TYPE_CPU) != 0) {
      return "CPU";
    }
    if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) {
      return "accelerator";
    }
    return "other";
  }

  private static String platformInfo(cl_platform_id id, int param) {
    long[] size = new long[1];
    CL.clGetPlatformInfo(id, param, 0, null, size);
    byte[] buf = new byte[(int) size[0]];
    CL.clGetPlatformInfo(id, param, buf.length, Pointer.to(buf), null);
    return text(buf);
  }

  static String deviceString(cl_device_id id, int param) {
    long[] size = new long[1];
    CL.clGetDeviceInfo(id, param, 0, null, size);
    byte[] buf = new byte[(int) size[0]];
    CL.clGetDeviceInfo(id, param, buf.length, Pointer.to(buf), null);
    return text(buf);
  }

  /** A cl_ulong or size_t (both 64-bit on the platforms JOCL supports) property. */
  static long deviceLong(cl_device_id id, int param) {
    long[] v = new long[1];
    CL.clGetDeviceInfo(id, param, Sizeof.cl_ulong, Pointer.to(v), null);
    return v[0];
  }

  static int deviceInt(cl_device_id id, int param) {
    int[] v = new int[1];
    CL.clGetDeviceInfo(id, param, Sizeof.cl_uint, Pointer.to(v), null);
    return v[0];
  }

  private static String text(byte[] buf) {
    int len = buf.length;
    while (len > 0 && buf[len - 1] == 0) {
      len--;
    }
    return new String(buf, 0, len, StandardCharsets.UTF_8).trim();
  }
}
