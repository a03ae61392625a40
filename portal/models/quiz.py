"""Quiz: topics, questions with immutable-once-used versions, quizzes, attempts.

An attempt never points at the mutable question: each drawn question is an AttemptQuestion row pointing at the
QuestionVersion it was shown, with the option order it was shown in. Editing a question that was already drawn adds
a new version, so old attempts keep their wording and their scoring.
"""

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow

# Moodle's GIFT kinds: multiple choice (single), multiple answer with weights (multi), true/false, short answer,
# numerical (ranges and tolerances), matching, essay (answered and self-assessed against a model answer, not scored)
# and description (text without an answer). Missing-word questions are one of the first five with a blank ("_____")
# in the text where the answer goes.
QUESTION_KINDS = ("single", "multi", "truefalse", "shortanswer", "numerical", "matching", "essay", "description")
CHOICE_KINDS = ("single", "multi", "truefalse")  # the person picks options; other kinds type or pair an answer
TYPED_KINDS = ("shortanswer", "numerical")  # a typed answer, matched against the accepted answers
UNSCORED_KINDS = ("essay", "description")  # never count towards a score
UNDRAWN_KINDS = ("description",)  # kept in the bank, never drawn into an attempt
TEXT_FORMATS = ("markdown", "plain", "html")  # how a version's texts (stem, options, feedback) are written
QUESTION_STATUSES = ("draft", "active", "retired")
FEEDBACK_MODES = ("immediate", "deferred")


class QuizTopic(SQLModel, table=True):
    """A topic of the bank. Topics nest (GIFT's `$CATEGORY: a/b/c`); names are unique among siblings."""

    __tablename__ = "quiz_topic"
    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="uq_quiz_topic_parent_name"),
        # NULL parents are all different to a unique constraint, so top-level names need their own index.
        Index("uq_quiz_topic_root_name", "name", unique=True, sqlite_where=text("parent_id IS NULL"),
              postgresql_where=text("parent_id IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="quiz_topic.id", index=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    position: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class QuizTopicSection(SQLModel, table=True):
    """Handbook sections that explain a topic (suggested reading when its questions are missed)."""

    __tablename__ = "quiz_topic_section"

    topic_id: int = Field(foreign_key="quiz_topic.id", primary_key=True, ondelete="CASCADE")
    section_id: int = Field(foreign_key="handbook_section.id", primary_key=True)
    position: int = Field(default=0)


class Question(SQLModel, table=True):
    """The stable identity of a question; its wording and options live in QuestionVersion."""

    __tablename__ = "quiz_question"
    __table_args__ = (UniqueConstraint("topic_id", "name", name="uq_quiz_question_topic_name"),)

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="quiz_topic.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)  # mirrors the current version
    difficulty: int = Field(default=2)  # 1 mudah, 2 sedang, 3 sulit
    status: str = Field(default="draft", max_length=20, index=True)  # draft (proposal), active, retired
    current_version_id: int | None = Field(default=None)
    proposed_by_id: int | None = Field(default=None, foreign_key="user.id")
    id_number: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})  # GIFT's [id:…]
    tags: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # one per line
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class QuestionSection(SQLModel, table=True):
    """A question's links to the handbook sections that explain it ("Baca bagian pedoman")."""

    __tablename__ = "quiz_question_section"

    question_id: int = Field(foreign_key="quiz_question.id", primary_key=True, ondelete="CASCADE")
    section_id: int = Field(foreign_key="handbook_section.id", primary_key=True)
    position: int = Field(default=0)


class QuestionVersion(SQLModel, table=True):
    __tablename__ = "quiz_question_version"
    __table_args__ = (UniqueConstraint("question_id", "number", name="uq_quiz_question_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="quiz_question.id", index=True)
    number: int
    kind: str = Field(max_length=20)  # scoring depends on it, so it is frozen with the version
    text_format: str = Field(default="markdown", max_length=10, sa_column_kwargs={"server_default": "markdown"})
    stem: str = Field(sa_column=Column(Text, nullable=False))  # in text_format; "_____" marks a missing word
    stem_html: str = Field(sa_column=Column(Text, nullable=False))  # rendered once, at save time
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False))
    explanation_html: str = Field(default="", sa_column=Column(Text, nullable=False))
    image: str | None = Field(default=None, max_length=80)  # "<sha256>.<ext>" in UPLOAD_DIR/quiz/
    image_alt: str = Field(default="", max_length=300)
    author_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class QuestionOption(SQLModel, table=True):
    """An answer. `fraction` is the credit for giving it (-1..1). Choice kinds: an option to pick (for true/false,
    position 0 is "Benar"). Short answer: an accepted answer (`*` matches anything). Numerical: "3:0.5" (value and
    tolerance), "1..5" (a range) or "3". Matching: `text` is one item and `match_text` its partner; an item without
    text is a distractor on the partners' side."""

    __tablename__ = "quiz_option"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="quiz_question_version.id", index=True)
    position: int = Field(default=0)
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_html: str = Field(sa_column=Column(Text, nullable=False))
    fraction: float = Field(default=0.0)
    feedback: str = Field(default="", sa_column=Column(Text, nullable=False))
    feedback_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    match_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class Quiz(SQLModel, table=True):
    __tablename__ = "quiz"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200, unique=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    shuffle_questions: bool = Field(default=True)
    shuffle_options: bool = Field(default=True)
    pass_mark: int = Field(default=70)  # percent
    max_attempts: int | None = Field(default=None)  # None: unlimited
    cooldown_hours: int = Field(default=0)  # wait after a finished attempt before the next one
    feedback_mode: str = Field(default="immediate", max_length=20)  # immediate (self-assessment) | deferred (exam)
    certificate: bool = Field(default=True)  # a pass issues a certificate
    validity_months: int | None = Field(default=12)  # a pass expires after this many months; None: never
    active: bool = Field(default=True, index=True)
    position: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class QuizTopicRule(SQLModel, table=True):
    """How many questions a quiz draws from a topic."""

    __tablename__ = "quiz_topic_rule"

    quiz_id: int = Field(foreign_key="quiz.id", primary_key=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="quiz_topic.id", primary_key=True)
    count: int = Field(default=1)


class Attempt(SQLModel, table=True):
    __tablename__ = "quiz_attempt"
    __table_args__ = (
        Index("ix_quiz_attempt_user_quiz", "user_id", "quiz_id"),
        # At most one unfinished attempt per person and quiz, even when "Mulai" is clicked twice at once.
        Index("uq_quiz_attempt_open", "user_id", "quiz_id", unique=True,
              sqlite_where=text("finished_at IS NULL"), postgresql_where=text("finished_at IS NULL")),
        # A person's passes and how long they hold: "who holds no valid pass" (the supervisor's follow-up) reads
        # these entries instead of every attempt's row.
        Index("ix_quiz_attempt_valid_pass", "user_id", "valid_until",
              sqlite_where=text("passed = 1 AND finished_at IS NOT NULL"),
              postgresql_where=text("passed AND finished_at IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    quiz_id: int = Field(foreign_key="quiz.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    number: int = Field(default=1)  # this person's n-th attempt at this quiz
    feedback_mode: str = Field(max_length=20)  # frozen at start
    pass_mark: int  # frozen at start
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = Field(default=None, index=True)
    score: float | None = Field(default=None)  # percent, computed at finish from the stored answers
    passed: bool | None = Field(default=None)
    valid_until: datetime | None = Field(default=None)


class AttemptQuestion(SQLModel, table=True):
    __tablename__ = "quiz_attempt_question"
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_quiz_attempt_question_position"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="quiz_attempt.id", index=True)
    position: int  # 1-based
    version_id: int = Field(foreign_key="quiz_question_version.id", index=True)
    topic_id: int = Field(foreign_key="quiz_topic.id")  # the topic it was drawn for
    option_order: str = Field(max_length=500)  # option ids as shown, comma separated (matching: the items)
    match_order: str | None = Field(default=None, max_length=500)  # matching: the partners' option ids as offered
    chosen: str | None = Field(default=None, max_length=500)  # chosen option ids, comma separated
    response: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # typed answer; matching:
    # "item id:partner id" pairs, comma separated
    answered_at: datetime | None = Field(default=None)
    score: float | None = Field(default=None)  # 0..1, set at finish; None for a question that is not scored
