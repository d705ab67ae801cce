// The lab's streaming job: a rate-limited generator, a hash shuffle (keyBy) that crosses
// TaskManagers over Netty, a keyed running sum, and a discarding sink.
// It compiles against Flink 1.20.x and 2.x (no ParameterTool, which moved package in 2.x).
//
// Arguments: <job name> <records per second> [micros to park per record in the keyed stage]
//            [checkpoint timeout ms, 0 = Flink's] [a marker file: throw one OutOfMemoryError]
// Parking (not spinning) slows the consumer without burning the lab's two cores.
// A checkpoint timeout shorter than barrier alignment makes every checkpoint fail (the
// failures are tolerated, so the job keeps running): the checkpoint-failures scenario.
// With a marker file that does not exist yet, the first record creates it and throws an
// OutOfMemoryError, once: the job fails over and runs on, with the error in its history.
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.ReduceFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public class ShuffleJob {
    public static void main(String[] args) throws Exception {
        String name = args.length > 0 ? args[0] : "flinkscope-lab-shuffle";
        double rate = args.length > 1 ? Double.parseDouble(args[1]) : 5000.0;
        final long parkMicros = args.length > 2 ? Long.parseLong(args[2]) : 0L;
        final long checkpointTimeoutMs = args.length > 3 ? Long.parseLong(args[3]) : 0L;
        final String oomMarker = args.length > 4 ? args[4] : "";

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (checkpointTimeoutMs > 0) {
            env.getCheckpointConfig().setCheckpointTimeout(checkpointTimeoutMs);
            env.getCheckpointConfig().setTolerableCheckpointFailureNumber(Integer.MAX_VALUE);
        }
        DataGeneratorSource<Long> source = new DataGeneratorSource<>(
                (GeneratorFunction<Long, Long>) index -> index,
                Long.MAX_VALUE,
                RateLimiterStrategy.perSecond(rate),
                Types.LONG);

        env.fromSource(source, WatermarkStrategy.noWatermarks(), "generator")
                .keyBy(new KeySelector<Long, Long>() {
                    @Override
                    public Long getKey(Long value) {
                        return value % 1024;
                    }
                })
                .reduce(new ReduceFunction<Long>() {
                    @Override
                    public Long reduce(Long a, Long b) throws Exception {
                        if (!oomMarker.isEmpty()
                                && new java.io.File(oomMarker).createNewFile()) {
                            throw new OutOfMemoryError("flinkscope lab: one simulated OutOfMemoryError");
                        }
                        if (parkMicros > 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(parkMicros * 1000);
                        }
                        return a + b;
                    }
                })
                .name("keyed-sum")
                .sinkTo(new DiscardingSink<>())
                .name("discard");
        env.execute(name);
    }
}
