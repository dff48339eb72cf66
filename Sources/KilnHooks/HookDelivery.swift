import KilnAlarms
import KilnCore

/// Placeholder: the hooks' senders (webhook, Alertmanager, PagerDuty, exec) come here.
enum HookDeliveryPlaceholder {}
