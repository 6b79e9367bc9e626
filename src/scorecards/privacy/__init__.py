"""Personal data about customers' staff: exporting what is held about a contact
or an account, erasing it, and keeping raw data no longer than configured.

Contacts' names and addresses, their survey answers and comments, the links
they were sent, the QBRs they attended and the product activity under their
key are theirs; ``export`` gathers them, ``erasure`` removes them,
``retention`` drops what is older than the settings allow.
"""
