-- Per-account look and behaviour of the chat box, as JSON (see account.WidgetSettings).
ALTER TABLE accounts ADD COLUMN widget_settings TEXT NOT NULL DEFAULT '{}';
