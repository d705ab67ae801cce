// Lists every ConfigOption that the Flink jars on the class path declare, one per line:
//   key <TAB> type <TAB> default <TAB> deprecated(true|false) <TAB> fallback keys (comma-separated)
// Run with Java's single-file launcher against an installed Flink's lib/:
//   java -cp "$FLINK_HOME/lib/*" scripts/lab/ListOptions.java
// The settings catalogue's test (tests/settings_catalogue.rs) compares flinkscope's
// catalogue with this list for each Flink version the lab installs.
import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Enumeration;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

public class ListOptions {
    public static void main(String[] args) throws Exception {
        Class<?> optionClass = Class.forName("org.apache.flink.configuration.ConfigOption");
        TreeMap<String, String> out = new TreeMap<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.endsWith(".jar")) continue;
            try (JarFile jar = new JarFile(entry)) {
                Enumeration<JarEntry> entries = jar.entries();
                while (entries.hasMoreElements()) {
                    String name = entries.nextElement().getName();
                    // The options classes: NettyShuffleEnvironmentOptions, TaskManagerOptions, ...
                    if (!name.startsWith("org/apache/flink/") || !name.endsWith("Options.class") || name.contains("$")) continue;
                    String cls = name.substring(0, name.length() - 6).replace('/', '.');
                    Class<?> c;
                    try {
                        c = Class.forName(cls, false, ListOptions.class.getClassLoader());
                    } catch (Throwable t) {
                        continue; // needs a class this class path lacks
                    }
                    Field[] fields;
                    try {
                        fields = c.getDeclaredFields();
                    } catch (Throwable t) {
                        continue;
                    }
                    for (Field f : fields) {
                        if (!Modifier.isStatic(f.getModifiers()) || !optionClass.isAssignableFrom(f.getType())) continue;
                        try {
                            f.setAccessible(true);
                            Object o = f.get(null);
                            if (o == null) continue;
                            String key = (String) optionClass.getMethod("key").invoke(o);
                            Object dflt = optionClass.getMethod("defaultValue").invoke(o);
                            Field clazz = optionClass.getDeclaredField("clazz");
                            clazz.setAccessible(true);
                            Class<?> type = (Class<?>) clazz.get(o);
                            StringBuilder fallbacks = new StringBuilder();
                            for (Object fk : (Iterable<?>) optionClass.getMethod("fallbackKeys").invoke(o)) {
                                if (fallbacks.length() > 0) fallbacks.append(',');
                                fallbacks.append((String) fk.getClass().getMethod("getKey").invoke(fk));
                            }
                            boolean deprecated = f.isAnnotationPresent(Deprecated.class);
                            String line = key + "\t" + type.getSimpleName() + "\t" + clean(String.valueOf(dflt)) + "\t"
                                    + deprecated + "\t" + fallbacks;
                            out.putIfAbsent(key, line);
                        } catch (Throwable t) {
                            // a field that is not readable here: not an option we can list
                        }
                    }
                }
            }
        }
        for (String line : out.values()) System.out.println(line);
    }

    private static String clean(String s) {
        return s.replace('\t', ' ').replace('\n', ' ');
    }
}
