"""Messages of Django itself that Django's own zh_Hans catalogue does not translate.

Django 5.2 changed the msgid of MinimumLengthValidator's error ("%(min_length)d" became "%d"), and its
zh_Hans catalogue still has only the old one, so residents saw the English sentence on the register page.
Marking the new msgid here makes makemessages keep it in locale/zh_Hans, which takes precedence over
Django's catalogue. This module is never imported; remove an entry once Django translates it.
"""

from django.utils.translation import ngettext_lazy

MESSAGES = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        12,
    ),
]
