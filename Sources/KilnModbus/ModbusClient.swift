import CModbus
import KilnCore
