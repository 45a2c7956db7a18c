"""The money of many bookings, driven through any sequence of operations, always adds up.

A Hypothesis state machine runs the real services against the database: bookings are
made and paid (the charge may fail, time out or be declined), accepted, cancelled by
the customer or the organizer at any time before the start (refunds by the booking's
cancellation terms), completed after the start, held and released by an admin,
approved, partly refunded by an admin before or after the payout (a reversal, which
may be declined and become the organizer's debt, netted against their next payout),
and the recovery, release and expiry jobs run in between. Any gateway call of a step
may fail ("error", "timeout") or be refused ("decline").

After every step ``tests.payments.money_checks.assert_money_invariants`` checks the
ledger, the payments, the movements and the gateway against each other, scoped to the
example's bookings and against a baseline of the whole ledger; the rules themselves
assert what each service answered (the refund a cancellation gives, the fee after a
refund, whether a payout waits for approval, the debt netted against a payout).

Each example runs inside a savepoint marked as a test case's own (what Django's
TestCase does around each test), so the gateway's guard still sees no transaction,
and the example is rolled back at its end: every example starts from the same data.
Examples and steps per run come from the Hypothesis profile (tests/hypothesis_profiles.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from marketplace.bookings import services as bookings
from marketplace.bookings import tasks as booking_tasks
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.catalog.cancellation import CancellationPolicy
from marketplace.catalog.models import Category
from marketplace.core.money import Money
from marketplace.payments import services as payments
from marketplace.payments import tasks as payment_tasks
from marketplace.payments.errors import (
    CardDeclined,
    EscrowOnHold,
    PaymentProcessing,
    PayoutFailed,
    PayoutInProgress,
)
from marketplace.payments.gateways.local import local_gateway_faults
from marketplace.payments.models import (
    LedgerAccount,
    LedgerLine,
    LocalGatewayOperation,
    Movement,
    MovementKind,
    MovementState,
    Transaction,
    TransactionStatus,
)
from marketplace.payments.policy import percent_of
from tests.factories import ServiceFactory, VendorFactory, with_weekly_hours
from tests.hypothesis_profiles import database_examples
from tests.payments.money_checks import assert_money_invariants, ledger_baseline, money_snapshot

NEW_YORK = ZoneInfo("America/New_York")
START = datetime(2027, 6, 7, 8, 0, tzinfo=NEW_YORK)  # a Monday morning
CURRENCY = "USD"

# Most gateway calls succeed; about one in three fails or is refused (shrinking towards success).
FAULT_CHOICES = (None, None, None, None, None, None, None, "error", "timeout", "decline")
faults = st.integers(min_value=0, max_value=len(FAULT_CHOICES) - 1).map(FAULT_CHOICES.__getitem__)
# A reversal is refused more often: that is how an organizer comes to owe a debt, netted later.
REVERSAL_FAULT_CHOICES = (None, None, None, None, "decline", "decline", "decline", "error", "timeout")
reversal_faults = st.integers(min_value=0, max_value=len(REVERSAL_FAULT_CHOICES) - 1).map(
    REVERSAL_FAULT_CHOICES.__getitem__
)
prices = st.one_of(
    st.integers(min_value=1, max_value=5_000),  # small: the minimum fee matters
    st.integers(min_value=5_000, max_value=99_999),
    st.integers(min_value=100_001, max_value=400_000),  # above the approval threshold
)
vendor_rates = st.one_of(st.none(), st.sampled_from([0, 1500, 10_000]), st.integers(min_value=0, max_value=10_000))


@contextmanager
def example_savepoint() -> Iterator[None]:
    """A savepoint rolled back at the end, marked like the atomic blocks Django's TestCase opens.

    ``core.db.in_transaction()`` ignores blocks so marked, so the services take the same
    path as in any test: the gateway may be called, after-commit calls run at once.
    """
    atomic = transaction.atomic()
    atomic._from_testcase = True
    with atomic:
        try:
            yield
        finally:
            transaction.set_rollback(True)


def plan(**kinds: str | None) -> dict[str, list[str]]:
    """A local_gateway_faults plan from the faults drawn for one step (None: that call succeeds)."""
    return {kind: [fault] for kind, fault in kinds.items() if fault is not None}


@dataclass
class Seen:
    """What the machine knows of one booking after the last step (read back from the database)."""

    booking: Booking
    payment: Transaction | None
    payout_state: str | None = None  # of its payout, once released


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self, *, category: Category, customer, admin):
        super().__init__()
        self.category, self.customer, self.admin = category, customer, admin
        self._stack = ExitStack()
        self._stack.enter_context(example_savepoint())
        self.clock = self._stack.enter_context(time_machine.travel(START, tick=False))
        self.baseline = ledger_baseline()
        self.vendors = []
        self.booking_ids: list[int] = []  # in the order they were made: "booking #n" below
        self.last_day: dict[int, object] = {}  # vendor id -> the last day booked (one booking a day each)
        self.seen: dict[int, Seen] = {}
        self.movements: list[Movement] = []
        self.expected_refunded: dict[int, int] = {}  # booking id -> what the rules say was refunded
        self.known_payouts: set[int] = set()
        self.debt_before: dict[int, int] = {}

    def teardown(self) -> None:
        self._stack.close()

    # --- Set-up ---------------------------------------------------------------------------

    @initialize(
        terms=st.lists(st.tuples(vendor_rates, st.booleans()), min_size=1, max_size=3),
        minimum_fee=st.sampled_from([None, 0, 50, 500, 5_000]),
        first=st.lists(st.tuples(st.integers(min_value=0, max_value=2), prices), min_size=1, max_size=3),
        done=st.integers(min_value=0, max_value=3),
    )
    def organizers_and_first_bookings(self, terms, minimum_fee, first, done):
        """One to three organizers (``terms``: their commission override and whether their payouts are
        flagged for approval), the category's minimum fee, and a few paid bookings to start from, the
        first ``done`` of them completed (released and paid out unless they wait for approval), so that
        short runs reach refunds after payouts."""
        Category.objects.filter(pk=self.category.pk).update(minimum_fee_minor=minimum_fee)
        self.minimum_fee = settings.PLATFORM_MINIMUM_FEE_MINOR if minimum_fee is None else minimum_fee
        for commission_bps, flagged in terms:
            vendor = with_weekly_hours(VendorFactory(commission_bps=commission_bps, payouts_need_approval=flagged))
            self.vendors.append(vendor)
            self.last_day[vendor.pk] = None
        for days_ahead, (organizer, price) in enumerate(first, start=1):
            self.book_and_pay(
                organizer=organizer,
                price=price,
                policy=CancellationPolicy.MODERATE,
                instant=True,
                days_ahead=days_ahead,
                charge=None,
            )
        self.refresh()
        for booking_id in self.booking_ids[:done]:
            self.clock.move_to(max(self.now(), self.seen[booking_id].booking.ends_at + timedelta(minutes=5)))
            bookings.booking_confirm_completion(customer=self.customer, booking_id=booking_id)

    # --- Reading the state back -------------------------------------------------------------

    def refresh(self) -> None:
        ids = self.booking_ids
        payments_by_booking = {t.booking_id: t for t in Transaction.objects.filter(booking_id__in=ids)}
        movements = list(Movement.objects.filter(booking_id__in=ids).order_by("id"))
        self.seen = {}
        for booking in Booking.objects.filter(pk__in=ids).select_related("vendor"):
            self.seen[booking.pk] = Seen(booking=booking, payment=payments_by_booking.get(booking.pk))
        for movement in movements:
            if movement.kind == MovementKind.TRANSFER:
                self.seen[movement.booking_id].payout_state = movement.state
        self.movements = movements

    def vendor_debts(self) -> dict[int, int]:
        rows = (
            LedgerLine.objects.filter(account=LedgerAccount.VENDOR_DEBT, vendor__in=self.vendors)
            .values("vendor_id")
            .annotate(total=Sum("amount_minor"))
        )
        return {row["vendor_id"]: row["total"] for row in rows}

    def number(self, booking_id: int) -> str:
        return f"booking #{self.booking_ids.index(booking_id)}"

    def pick(self, data, predicate) -> Seen:
        """A booking the step applies to, drawn by its number (stable across runs, unlike ids)."""
        numbers = [n for n, booking_id in enumerate(self.booking_ids) if predicate(self.seen[booking_id])]
        return self.seen[self.booking_ids[data.draw(st.sampled_from(numbers), label="booking #")]]

    def any_booking(self, predicate) -> bool:
        return any(predicate(seen) for seen in self.seen.values())

    def now(self) -> datetime:
        return datetime.now(tz=NEW_YORK)

    # --- What a booking allows now (the predicates the rules choose from) ----------------------

    def payable(self, seen: Seen) -> bool:
        booking = seen.booking
        return booking.status == BookingStatus.REQUESTED and seen.payment is None and booking.starts_at > self.now()

    def cancellable(self, seen: Seen) -> bool:
        booking = seen.booking
        return booking.status in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED) and (
            booking.starts_at - self.now() > timedelta(minutes=1)
        )

    @staticmethod
    def refundable(seen: Seen) -> bool:
        """Captured, with something left: an authorised request's payment is released, never refunded in part."""
        return seen.payment is not None and seen.payment.captured_at is not None and seen.payment.kept.minor > 0

    # --- Rules ---------------------------------------------------------------------------------

    @rule(
        organizer=st.integers(min_value=0, max_value=2),
        price=prices,
        policy=st.sampled_from(list(CancellationPolicy)),
        instant=st.booleans(),
        days_ahead=st.integers(min_value=1, max_value=15),
        charge=faults,
    )
    def book_and_pay(self, organizer, price, policy, instant, days_ahead, charge):
        vendor = self.vendors[organizer % len(self.vendors)]
        service = ServiceFactory(
            vendor=vendor,
            category=self.category,
            base_price_minor=price,
            cancellation_policy=policy,
            instant_booking=instant,
        )
        day = self.now().date() + timedelta(days=days_ahead)
        if self.last_day[vendor.pk] is not None:
            day = max(day, self.last_day[vendor.pk] + timedelta(days=1))
        self.last_day[vendor.pk] = day
        booking = bookings.booking_request(
            customer=self.customer,
            service_id=service.pk,
            starts_at=datetime.combine(day, time(10, 0), tzinfo=NEW_YORK),
            address="12 Elm St, Brooklyn, NY",
        )
        self.booking_ids.append(booking.pk)
        self.expected_refunded[booking.pk] = 0
        self._pay(booking.pk, charge)

    @precondition(lambda self: self.any_booking(self.payable))
    @rule(data=st.data(), charge=faults)
    def pay_again(self, data, charge):
        """Pay a booking whose charge was declined, or is still pending (it must finish, not charge twice)."""
        seen = self.pick(data, self.payable)
        pending = Movement.objects.filter(booking_id=seen.booking.pk, kind=MovementKind.CHARGE, state="pending").first()
        recently = self.now() - timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS)
        if pending is not None and (pending.attempted_at or pending.created_at) > recently:
            # Soon after, the first attempt may still be on its way: refused. Later, it is finished.
            with pytest.raises(PaymentProcessing):
                bookings.booking_pay(customer=self.customer, booking_id=seen.booking.pk, payment_method="pm_card_visa")
            self.clock.shift(timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS + 1))
        self._pay(seen.booking.pk, charge)

    def _pay(self, booking_id: int, fault: str | None) -> None:
        charges_before = Movement.objects.filter(booking_id=booking_id, kind=MovementKind.CHARGE)
        pending_before = list(charges_before.filter(state=MovementState.PENDING))
        # A pending charge the gateway already made (a timeout) can only be finished; one it never
        # received (an error before it acted) may still be declined on this attempt.
        charged_before = LocalGatewayOperation.objects.filter(
            idempotency_key__in=[charge.idempotency_key for charge in pending_before]
        ).exists()
        with local_gateway_faults(**plan(charge=fault)):
            try:
                booking = bookings.booking_pay(
                    customer=self.customer, booking_id=booking_id, payment_method="pm_card_visa"
                ).booking
            except PaymentProcessing:
                assert fault in ("error", "timeout")
                return
            except CardDeclined:
                assert fault == "decline" and not charged_before, "a charge the gateway made is finished, never refused"
                return
        assert fault is None or (fault == "decline" and charged_before), f"paid despite the fault {fault}"
        payment = Transaction.objects.get(booking_id=booking_id)
        if pending_before:
            assert payment.payment_reference == Movement.objects.get(pk=pending_before[0].pk).gateway_reference
        service = booking.service
        vendor = booking.vendor
        bps = vendor.commission_bps if vendor.commission_bps is not None else settings.PLATFORM_COMMISSION_BPS
        fee, payout = Money(booking.price_minor, CURRENCY).split_by_bps(bps, self.minimum_fee)
        assert (payment.amount_minor, payment.commission_bps, payment.minimum_fee_minor) == (
            booking.price_minor,
            bps,
            self.minimum_fee,
        )
        assert (payment.platform_fee_minor, payment.vendor_payout_minor) == (fee.minor, payout.minor)
        expected_status = BookingStatus.CONFIRMED if service.instant_booking else BookingStatus.REQUESTED
        assert booking.status == expected_status

    @precondition(
        lambda self: self.any_booking(
            lambda s: s.booking.status == BookingStatus.REQUESTED and s.payment and s.booking.starts_at > self.now()
        )
    )
    @rule(data=st.data())
    def organizer_accepts(self, data):
        seen = self.pick(
            data,
            lambda s: s.booking.status == BookingStatus.REQUESTED and s.payment and s.booking.starts_at > self.now(),
        )
        booking = bookings.booking_accept(vendor_user=seen.booking.vendor.user, booking_id=seen.booking.pk)
        assert booking.status == BookingStatus.CONFIRMED

    @precondition(lambda self: self.any_booking(self.cancellable))
    @rule(
        data=st.data(),
        by_organizer=st.booleans(),
        how_soon=st.floats(min_value=0, max_value=0.999),
        refund=faults,
        transfer=faults,
    )
    def cancel(self, data, by_organizer, how_soon, refund, transfer):
        """The customer (by the booking's terms) or the organizer (in full) cancels, some time before the start."""
        seen = self.pick(data, self.cancellable)
        booking = seen.booking
        self.clock.move_to(self.now() + (booking.starts_at - self.now()) * how_soon)
        hours_left = (booking.starts_at - self.now()).total_seconds() / 3600
        if by_organizer or booking.status == BookingStatus.REQUESTED:
            percent = 100
        else:
            tiers = booking.cancellation_terms["refund_tiers"]
            percent = next((percent for hours, percent in tiers if hours_left >= hours), 0)
        user = booking.vendor.user if by_organizer else self.customer
        payment = seen.payment
        with local_gateway_faults(**plan(refund=refund, transfer=transfer)):
            bookings.booking_cancel(user=user, booking_id=booking.pk, reason="Plans changed")
        if payment is None:
            return  # nothing paid (or a charge still on its way: given back in full when it lands)
        if payment.captured_at is None:  # a request's payment, only authorised: released, nothing refunded
            assert Transaction.objects.get(pk=payment.pk).status == TransactionStatus.VOIDED
            return
        back = percent_of(payment.kept, percent).minor
        self.expected_refunded[booking.pk] += back
        after = Transaction.objects.get(pk=payment.pk)
        assert after.refunded_minor == payment.refunded_minor + back, (
            f"{percent}% of {payment.kept} cancelling {hours_left:.2f} hours before the start"
        )
        if after.kept.minor:
            assert after.releasable_at is not None, "what the organizer keeps is due for release at once"

    @precondition(lambda self: self.any_booking(lambda s: s.booking.status == BookingStatus.CONFIRMED))
    @rule(data=st.data(), transfer=faults)
    def customer_confirms_completion(self, data, transfer):
        seen = self.pick(data, lambda s: s.booking.status == BookingStatus.CONFIRMED)
        booking, payment = seen.booking, seen.payment
        if payment.status == TransactionStatus.REFUNDED:
            # An admin refunded everything: nothing to release (see the report of issue 6 on this).
            return
        self.clock.move_to(max(self.now(), booking.ends_at + timedelta(minutes=5)))
        with local_gateway_faults(**plan(transfer=transfer)):
            bookings.booking_confirm_completion(customer=self.customer, booking_id=booking.pk)
        after = Transaction.objects.get(pk=payment.pk)
        needs_approval = (
            after.kept.minor > settings.PAYOUT_APPROVAL_THRESHOLD_MINOR or booking.vendor.payouts_need_approval
        )
        assert after.releasable_at is not None
        assert after.payout_needs_approval == needs_approval
        if not needs_approval and not after.hold_reasons:
            assert after.status == TransactionStatus.RELEASED
        else:
            assert after.status == TransactionStatus.HELD

    @precondition(lambda self: self.any_booking(lambda s: s.payment and s.payment.status == TransactionStatus.HELD))
    @rule(data=st.data())
    def admin_holds(self, data):
        seen = self.pick(data, lambda s: s.payment and s.payment.status == TransactionStatus.HELD)
        payments.escrow_hold(booking_id=seen.booking.pk, reason="admin", actor=self.admin, note="Checking photos")
        assert "admin" in Transaction.objects.get(pk=seen.payment.pk).hold_reasons

    @precondition(lambda self: self.any_booking(lambda s: s.payment and "admin" in s.payment.hold_reasons))
    @rule(data=st.data(), transfer=faults)
    def admin_lifts_the_hold(self, data, transfer):
        seen = self.pick(data, lambda s: s.payment and "admin" in s.payment.hold_reasons)
        payment = seen.payment
        with local_gateway_faults(**plan(transfer=transfer)):
            payments.escrow_hold_lift(booking_id=seen.booking.pk, reason="admin", actor=self.admin, note="Fine")
        after = Transaction.objects.get(pk=payment.pk)
        assert after.hold_reasons == [r for r in payment.hold_reasons if r != "admin"]
        due = payment.status == TransactionStatus.HELD and payment.releasable_at and not payment.payout_needs_approval
        if due and not after.hold_reasons:
            assert after.status == TransactionStatus.RELEASED, "lifting the last hold releases a due escrow"

    @precondition(
        lambda self: self.any_booking(
            lambda s: s.payment and s.payment.status == TransactionStatus.HELD and s.payment.payout_needs_approval
        )
    )
    @rule(data=st.data(), transfer=faults)
    def admin_approves_the_payout(self, data, transfer):
        seen = self.pick(
            data, lambda s: s.payment and s.payment.status == TransactionStatus.HELD and s.payment.payout_needs_approval
        )
        if seen.payment.hold_reasons:
            before = money_snapshot()
            try:
                payments.escrow_release(booking_id=seen.booking.pk, approved_by=self.admin, reason="Approved")
            except EscrowOnHold:
                assert money_snapshot() == before
                return
            raise AssertionError("a payout on hold was released")
        with local_gateway_faults(**plan(transfer=transfer)):
            payment = payments.escrow_release(booking_id=seen.booking.pk, approved_by=self.admin, reason="Approved")
        assert (payment.status, payment.released_by_id) == (TransactionStatus.RELEASED, self.admin.pk)

    @precondition(lambda self: self.any_booking(self.refundable))
    @rule(data=st.data(), refund=faults, reversal=reversal_faults)
    def admin_refunds_part(self, data, refund, reversal):
        seen = self.pick(data, self.refundable)
        payment = seen.payment
        amount = data.draw(st.integers(min_value=1, max_value=payment.kept.minor), label="amount_minor")
        refusal = None
        if payment.status == TransactionStatus.RELEASED and seen.payout_state == MovementState.PENDING:
            refusal = PayoutInProgress
        elif payment.status == TransactionStatus.RELEASED and seen.payout_state == MovementState.FAILED:
            refusal = PayoutFailed
        before = money_snapshot() if refusal else None
        try:
            with local_gateway_faults(**plan(refund=refund, reversal=reversal)):
                payments.escrow_refund_by_admin(
                    admin=self.admin, booking_id=seen.booking.pk, amount=Money(amount, CURRENCY), reason="Goodwill"
                )
        except (PayoutInProgress, PayoutFailed) as error:
            assert isinstance(error, refusal), f"refused with {error.code}"
            assert money_snapshot() == before
            return
        assert refusal is None, f"refunded despite the payout being {seen.payout_state}"
        self.expected_refunded[seen.booking.pk] += amount
        after = Transaction.objects.get(pk=payment.pk)
        fee, _ = after.kept.split_by_bps(after.commission_bps, after.minimum_fee_minor)
        assert (after.refunded_minor, after.platform_fee_minor) == (payment.refunded_minor + amount, fee.minor)

    @rule(refund=faults, transfer=faults, reversal=faults, charge=faults)
    def recovery_job_runs(self, refund, transfer, reversal, charge):
        """The recovery sweep runs after its delay (the gateway may fail again); late charges land."""
        self.clock.shift(timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS + 1))
        with local_gateway_faults(**plan(refund=refund, transfer=transfer, reversal=reversal, charge=charge)):
            outcome = payment_tasks.movement_recover_sweep()
        assert "error" not in outcome, outcome

    @rule()
    def release_and_expiry_jobs_run(self):
        expiring = {
            booking_id: seen.payment.kept.minor if seen.payment.captured_at else 0  # authorised only: released
            for booking_id, seen in self.seen.items()
            if seen.booking.status == BookingStatus.REQUESTED and seen.payment is not None
        }
        payment_tasks.escrow_release_due()
        booking_tasks.expire_stale_requests()
        for booking in Booking.objects.filter(pk__in=expiring, status=BookingStatus.EXPIRED):
            self.expected_refunded[booking.pk] += expiring[booking.pk]  # a paid request that expired: all back

    @precondition(lambda self: any(m.kind == MovementKind.TRANSFER and m.state == "pending" for m in self.movements))
    @rule(data=st.data())
    def payout_job_runs_again(self, data):
        pending = [m.pk for m in self.movements if m.kind == MovementKind.TRANSFER and m.state == "pending"]
        payout_id = data.draw(st.sampled_from(pending), label="payout")
        states = payment_tasks.payouts_execute([payout_id])
        assert set(states) <= {MovementState.SUCCEEDED, MovementState.PENDING}, states

    @rule()
    def everything_pending_is_finished(self):
        """With the gateway healthy, one recovery run finishes every pending movement: nothing stays owed
        but what the gateway refused for good."""
        self.clock.shift(timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS + 1))
        payment_tasks.movement_recover_sweep()
        self.clock.shift(timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS + 1))
        assert payment_tasks.movement_recover_sweep() == {}
        totals = assert_money_invariants(booking_ids=self.booking_ids, baseline=self.baseline)
        refused = list(Movement.objects.filter(booking_id__in=self.booking_ids, state=MovementState.FAILED))
        assert totals["pending"] == 0
        assert totals["refunds_owed"] == sum(m.amount_minor for m in refused if m.kind == MovementKind.REFUND)
        assert totals["vendor_owed"] == sum(m.amount_minor for m in refused if m.kind == MovementKind.TRANSFER)

    # --- After every step ---------------------------------------------------------------------

    @invariant()
    def money_adds_up(self):
        closed_unpaid = [
            booking_id
            for booking_id, seen in self.seen.items()
            if seen.payment is None and seen.booking.status != BookingStatus.REQUESTED
        ]
        self.refresh()
        for booking_id in closed_unpaid:
            payment = self.seen[booking_id].payment
            if payment is not None and payment.captured_at is None:  # a late authorisation: released
                assert payment.status == TransactionStatus.VOIDED, "a late authorisation is released"
            elif payment is not None:  # a charge landed (a recovery run) on a booking closed meanwhile
                assert payment.status == TransactionStatus.REFUNDED, "a late charge is refunded in full"
                self.expected_refunded[booking_id] = payment.amount_minor
        assert_money_invariants(booking_ids=self.booking_ids, baseline=self.baseline)
        for booking_id, seen in self.seen.items():
            refunded = seen.payment.refunded_minor if seen.payment else 0
            assert refunded == self.expected_refunded[booking_id], (
                f"{self.number(booking_id)}: refunded {refunded}, expected {self.expected_refunded[booking_id]}"
            )
            assert (seen.booking.paid_at is not None) == (seen.payment is not None), self.number(booking_id)
        self.payouts_net_the_debt()

    def payouts_net_the_debt(self) -> None:
        """Each payout made since the last step took the organizer's debt off their share, as far as it went."""
        remaining = dict(self.debt_before)
        for movement in self.movements:
            if movement.kind != MovementKind.TRANSFER or movement.pk in self.known_payouts:
                continue
            self.known_payouts.add(movement.pk)
            share = movement.details["vendor_share_minor"]
            netted = min(share, max(0, remaining.get(movement.vendor_id, 0)))
            assert movement.details["debt_netted_minor"] == netted, (
                f"payout of {self.number(movement.booking_id)}: netted {movement.details['debt_netted_minor']} "
                f"of a debt of {remaining.get(movement.vendor_id, 0)}"
            )
            remaining[movement.vendor_id] = remaining.get(movement.vendor_id, 0) - netted
        self.debt_before = self.vendor_debts()


@pytest.mark.django_db
def test_money_adds_up_after_any_sequence_of_operations(category, customer, admin_user):
    run_state_machine_as_test(
        lambda: MoneyMachine(category=category, customer=customer, admin=admin_user),
        settings=hypothesis_settings(max_examples=database_examples()),
    )


# --- What the machine found -----------------------------------------------------------------------


def _paid_then_refunded_in_full(customer, service, admin_user, clock) -> Booking:
    booking = bookings.booking_request(
        customer=customer,
        service_id=service.pk,
        starts_at=(START + timedelta(days=3)).replace(hour=10),
        address="12 Elm St, Brooklyn, NY",
    )
    bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")
    payments.escrow_refund_by_admin(admin=admin_user, booking_id=booking.pk, amount=None, reason="Goodwill")
    booking.refresh_from_db()
    clock.move_to(booking.ends_at + timedelta(minutes=5))
    return booking


@pytest.mark.django_db
def test_a_booking_an_admin_refunded_in_full_can_still_be_confirmed_as_done(customer, service, admin_user):
    """The work took place, but an admin gave all the money back (goodwill): confirming the work
    completes the booking and releases nothing, as a cancellation that keeps nothing does."""
    with time_machine.travel(START, tick=False) as clock:
        booking = _paid_then_refunded_in_full(customer, service, admin_user, clock)

        completed = bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)

    assert completed.status == BookingStatus.COMPLETED
    payment = Transaction.objects.get(booking=booking)
    assert (payment.status, payment.refunded_minor) == (TransactionStatus.REFUNDED, 30000)
    assert not Movement.objects.filter(kind=MovementKind.TRANSFER).exists()
    assert assert_money_invariants()["refund_paid"] == 30000


@pytest.mark.django_db
def test_a_booking_an_admin_refunded_in_full_still_completes_automatically(customer, service, admin_user):
    with time_machine.travel(START, tick=False) as clock:
        booking = _paid_then_refunded_in_full(customer, service, admin_user, clock)
        clock.shift(timedelta(days=settings.ESCROW_AUTO_RELEASE_DAYS))

        assert booking_tasks.complete_due_bookings() == 1

    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert not Movement.objects.filter(kind=MovementKind.TRANSFER).exists()
