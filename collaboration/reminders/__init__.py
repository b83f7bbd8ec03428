"""Flow 8, "nothing expires unnoticed": reminders of unanswered collaboration
requests, join offers (with their invitation links) and new customers'
welcome links, "Påminn nu", and "Skicka igen" / "Ta bort från listan" for
expired requests. The reminders themselves are rows of
notifications.Reminder (one per item, round and step)."""
