import KilnCore

/// Loads device maps and gateway configs. (Being written.)
public enum ConfigLoader {}
