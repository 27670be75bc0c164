"""WTForms (Flask-WTF, CSRF on every form) with Chinese labels and messages."""
