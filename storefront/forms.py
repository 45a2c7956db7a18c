from django import forms

from marketplace.accounts.models import Role


class SignupExtraForm(forms.Form):
    """Extra fields on allauth's sign-up form: name and whether you book or organize."""

    full_name = forms.CharField(max_length=150, label="Full name")
    role = forms.ChoiceField(
        choices=[(Role.CUSTOMER, "I want to book an organizer"), (Role.VENDOR, "I am a professional organizer")],
        initial=Role.CUSTOMER,
        widget=forms.RadioSelect,
        label="I am joining as",
    )

    def signup(self, request, user):
        """allauth calls this after creating the user; the adapter already set the fields."""
