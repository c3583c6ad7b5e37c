package org.cryptonets.app;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;

/**
 * The run reports' JSON, written by Jackson: maps (keys in the maps' iteration order), lists,
 * strings, numbers and booleans, indented two spaces, {@code "key": value}, one value per line, a
 * final newline. Numbers are written as Java prints them ({@code 2.5}, {@code 1.0E-5}); a NaN or
 * infinite number is written as null, since JSON has no such values.
 *
 * <p>Stateless; thread-safe. Throws {@link IllegalArgumentException} for a value Jackson cannot
 * write.
 */
final class JsonWriter {
  private static final ObjectWriter WRITER = writer();

  private JsonWriter() {}

  static String write(Object value) {
    try {
      return WRITER.writeValueAsString(value) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write the report as JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static ObjectWriter writer() {
    SimpleModule finiteOrNull = new SimpleModule("finite-or-null")
        .addSerializer(Double.class, new FiniteOrNull<>(Double.class))
        .addSerializer(Float.class, new FiniteOrNull<>(Float.class));
    Separators separators = Separators.createDefaultInstance()
        .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
        .withObjectEmptySeparator("")
        .withArrayEmptySeparator("");
    DefaultIndenter twoSpaces = new DefaultIndenter("  ", "\n");
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter(separators).withObjectIndenter(twoSpaces).withArrayIndenter(twoSpaces);
    return new ObjectMapper().registerModule(finiteOrNull).writer(printer);
  }

  /** Writes a floating-point number, or null when it is NaN or infinite. */
  private static final class FiniteOrNull<T extends Number> extends StdSerializer<T> {
    private static final long serialVersionUID = 1L;

    FiniteOrNull(Class<T> type) {
      super(type);
    }

    @Override
    public void serialize(T value, JsonGenerator out, SerializerProvider provider) throws IOException {
      if (!Double.isFinite(value.doubleValue())) {
        out.writeNull();
      } else if (value instanceof Float) {
        out.writeNumber(value.floatValue());
      } else {
        out.writeNumber(value.doubleValue());
      }
    }
  }
}
