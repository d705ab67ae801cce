// A JVM agent that serves Jolokia over HTTP for the lab's TaskManagers.
//
// Debian's libjolokia-core-java has Jolokia's core (request parsing, MBean access, JSON
// answers) but no agent; this premain wires the core's request handler to the JDK's own
// HTTP server, so flinkscope's Jolokia source talks to real Jolokia on a real JVM.
// Usage: -javaagent:jolokia-agent.jar=PORT (binds 127.0.0.1:PORT, context /jolokia).

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import org.jolokia.backend.BackendManager;
import org.jolokia.config.ConfigKey;
import org.jolokia.config.Configuration;
import org.jolokia.http.HttpRequestHandler;
import org.jolokia.util.LogHandler;
import org.json.simple.JSONAware;

@SuppressWarnings("deprecation") // jolokia-core 1.7 marks parts of the API it still needs
public final class JolokiaAgent {
  private static final String CONTEXT = "/jolokia";

  public static void premain(String args) throws IOException {
    int port = Integer.parseInt(args == null || args.isEmpty() ? "8778" : args.trim());
    // Jolokia's backend refuses to start without an agent id.
    Configuration config =
        new Configuration(ConfigKey.AGENT_ID, "flinkscope-lab-" + port, ConfigKey.AGENT_CONTEXT, CONTEXT);
    LogHandler log = new LogHandler.StdoutLogHandler(false);
    HttpRequestHandler handler = new HttpRequestHandler(config, new BackendManager(config, log), log);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
    server.createContext(CONTEXT, exchange -> serve(handler, exchange));
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "jolokia-agent");
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  private static void serve(HttpRequestHandler handler, HttpExchange exchange) throws IOException {
    JSONAware answer;
    try {
      String uri = exchange.getRequestURI().toString();
      if ("POST".equals(exchange.getRequestMethod())) {
        answer = handler.handlePostRequest(uri, exchange.getRequestBody(), "utf-8", new HashMap<>());
      } else {
        String path = exchange.getRequestURI().getRawPath().substring(CONTEXT.length());
        answer = handler.handleGetRequest(uri, URLDecoder.decode(path, StandardCharsets.UTF_8), params(exchange));
      }
    } catch (Throwable t) {
      answer = handler.handleThrowable(t);
    }
    byte[] body = answer.toJSONString().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static Map<String, String[]> params(HttpExchange exchange) {
    Map<String, String[]> out = new HashMap<>();
    String q = exchange.getRequestURI().getRawQuery();
    if (q == null) return out;
    for (String kv : q.split("&")) {
      String[] p = kv.split("=", 2);
      String v = p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : "";
      out.put(URLDecoder.decode(p[0], StandardCharsets.UTF_8), new String[] {v});
    }
    return out;
  }
}
