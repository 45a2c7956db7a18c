import uuid

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    VENDOR = "vendor", "Organizer"
    ADMIN = "admin", "Admin"  # every staff permission (marketplace.accounts.permissions)
    STAFF = "staff", "Staff"  # support, finance, marketing: what they may do comes from their groups


class UserManager(DjangoUserManager):
    """Users sign in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.ADMIN)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who uses the marketplace: a customer, an organizer (vendor), staff, or an admin.

    Staff (support, finance, marketing editors) have the role "staff": they neither book
    nor organize, and what they may do in the back office comes from their Wagtail
    groups, which bundle the named permissions of ``marketplace.accounts.permissions``.
    Admins have every one of those permissions through their role.
    """

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email.split("@")[0]

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_vendor(self) -> bool:
        return self.role == Role.VENDOR

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.ADMIN and self.is_active


class ApiSession(models.Model):
    """One signed-in API client: the family of rotating refresh tokens.

    Access tokens name their session, so revoking it (logout, or reuse of an old
    refresh token, which signals theft) ends every token of that sign-in at once.
    A session is also bound to the password it was started with: once the user's
    password changes (by any path) or the user is deactivated, it is refused and
    marked revoked (see accounts.tokens).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    # A SHA-256 of the user's password hash at sign-in; empty for sessions older than the binding.
    credentials_fingerprint = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"API sign-in {self.id} of {self.user_id}"


class RefreshToken(models.Model):
    """A refresh token, stored only as its SHA-256 hash. Each is usable once."""

    session = models.ForeignKey(ApiSession, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token of {self.session_id}"


class StaffPermission(models.Model):
    """Holds the marketplace's named staff permissions (no table): see ``marketplace.accounts.permissions``.

    Django keeps permissions per model; this one exists so they have a home of their own
    ("accounts | staff permission") in the Wagtail group editor, apart from any real model's.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("verify_organizers", "Verify, reject and suspend organizers"),
            ("manage_bookings", "See every booking, and cancel one at any time"),
            ("resolve_disputes", "Resolve disputes"),
            ("refund_up_to_limit", "Refund payments up to STAFF_REFUND_LIMIT_MINOR"),
            ("refund_payments", "Refund payments of any amount"),
            ("approve_payouts", "See payouts, approve those that wait, and hold or release escrow"),
            ("view_ledger", "See the ledger"),
            ("export_data", "Export money records (CSV)"),
            ("view_audit_log", "See the audit log"),
            ("manage_categories", "Add and change service categories"),
            ("manage_jobs", "See failed background jobs, and retry or delete them"),
        ]

    def __str__(self) -> str:
        return "staff permissions"
