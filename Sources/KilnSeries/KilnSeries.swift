// Placeholder so the target builds; the codecs land here (Point, BlockCodec, ExceptionFilter, Aggregator).
import KilnCore
