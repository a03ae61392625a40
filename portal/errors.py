class DomainError(Exception):
    """A rule of the domain was broken; views turn it into a form error or a flash message.

    `message` is already translated (services call gettext), `field` names the form field it belongs to.
    """

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
