"""The storefront's sign-up page: allauth's, with the accounts service's refusals shown on the form."""

from allauth.account.views import SignupView as AllauthSignupView

from marketplace.core.errors import DomainError

from .common import show_domain_error


class SignupView(AllauthSignupView):
    """A sign-up the accounts service refuses is a form error, never a 500.

    The form checks the email is free, but another sign-up with the same address can
    commit between that check and the save; user_register then refuses with EmailTaken
    (and rolls back), and the visitor sees why next to the email field.
    """

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except DomainError as error:
            show_domain_error(form, error)
            return self.form_invalid(form)
