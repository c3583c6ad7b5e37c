package org.cryptonets.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON through Jackson, in the shapes the benchmark reports use. {@link #parse} reads JMH's result
 * files into plain Java values: objects become {@link LinkedHashMap}, arrays {@link ArrayList},
 * every number a {@link Double} (what the report's arithmetic expects), plus strings, booleans and
 * null.
 *
 * <p>{@link #write} is the reverse, for the comparison runner's report: maps, lists, strings,
 * numbers, booleans and null, indented two spaces as {@code "key": value}, one value per line, a
 * final newline; a NaN or infinite number is written as null, since JSON has no such values.
 *
 * <p>Stateless; thread-safe. Throws {@link IllegalArgumentException} for malformed input (Jackson's
 * message gives the line and column) or a value Jackson cannot write.
 */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .registerModule(new SimpleModule("finite-or-null")
          .addSerializer(Double.class, new FiniteOrNull<>(Double.class))
          .addSerializer(Float.class, new FiniteOrNull<>(Float.class)));
  private static final ObjectWriter WRITER = MAPPER.writer(printer());

  private Json() {}

  static Object parse(String text) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage() + " at " + location(e), e);
    }
    if (tree.isMissingNode()) {
      throw new IllegalArgumentException("malformed JSON: no value");
    }
    return plain(tree);
  }

  static String write(Object value) {
    try {
      return WRITER.writeValueAsString(value) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null ? "an unknown place" : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
  }

  private static DefaultPrettyPrinter printer() {
    Separators separators = Separators.createDefaultInstance()
        .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
        .withObjectEmptySeparator("")
        .withArrayEmptySeparator("");
    DefaultIndenter twoSpaces = new DefaultIndenter("  ", "\n");
    return new DefaultPrettyPrinter(separators).withObjectIndenter(twoSpaces).withArrayIndenter(twoSpaces);
  }

  /** A tree as maps, lists, strings, doubles, booleans and null. */
  private static Object plain(JsonNode node) {
    if (node.isNull()) {
      return null;
    } else if (node.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> f : node.properties()) {
        m.put(f.getKey(), plain(f.getValue()));
      }
      return m;
    } else if (node.isArray()) {
      List<Object> a = new ArrayList<>(node.size());
      for (JsonNode element : node) {
        a.add(plain(element));
      }
      return a;
    } else if (node.isNumber()) {
      return node.doubleValue();
    } else if (node.isBoolean()) {
      return node.booleanValue();
    } else {
      return node.asText();
    }
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
