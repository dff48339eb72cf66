import KilnCore
import KilnModbus
