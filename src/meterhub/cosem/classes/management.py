"""Interface classes for access control and management (DLMS UA 1000-1 Blue Book 4.4): the attribute and method
indices of Association LN (4.4.3), Image transfer (4.4.6), Security setup (4.4.7) and Push setup (4.4.8), with
their value enumerations — association status and the object list's access modes, image transfer status, the
security policy bits, security suites and the key ids of key_transfer.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

__all__ = [
    "AssociationLnAttribute",
    "AssociationLnMethod",
    "AssociationStatus",
    "AttributeAccessMode",
    "ImageTransferAttribute",
    "ImageTransferMethod",
    "ImageTransferStatus",
    "KeyId",
    "MethodAccessMode",
    "PushSetupAttribute",
    "PushSetupMethod",
    "SecurityPolicy",
    "SecuritySetupAttribute",
    "SecuritySetupMethod",
    "SecuritySuite",
]


class AssociationLnAttribute(IntEnum):
    """Association LN (class_id 15, version 2), Blue Book 4.4.3."""

    LOGICAL_NAME = 1
    OBJECT_LIST = 2
    ASSOCIATED_PARTNERS_ID = 3
    APPLICATION_CONTEXT_NAME = 4
    XDLMS_CONTEXT_INFO = 5
    AUTHENTICATION_MECHANISM_NAME = 6
    SECRET = 7
    ASSOCIATION_STATUS = 8
    SECURITY_SETUP_REFERENCE = 9
    USER_LIST = 10
    CURRENT_USER = 11


class AssociationLnMethod(IntEnum):
    """Association LN methods."""

    REPLY_TO_HLS_AUTHENTICATION = 1
    CHANGE_HLS_SECRET = 2
    ADD_OBJECT = 3
    REMOVE_OBJECT = 4
    ADD_USER = 5
    REMOVE_USER = 6


class AssociationStatus(IntEnum):
    """Association LN ``association_status`` (Blue Book 4.4.3)."""

    NON_ASSOCIATED = 0
    ASSOCIATION_PENDING = 1
    ASSOCIATED = 2


class AttributeAccessMode(IntEnum):
    """Attribute access in the ``object_list`` of Association LN (Blue Book 4.4.3)."""

    NO_ACCESS = 0
    READ_ONLY = 1
    WRITE_ONLY = 2
    READ_AND_WRITE = 3
    AUTHENTICATED_READ_ONLY = 4
    AUTHENTICATED_WRITE_ONLY = 5
    AUTHENTICATED_READ_AND_WRITE = 6


class MethodAccessMode(IntEnum):
    """Method access in the ``object_list`` of Association LN (Blue Book 4.4.3)."""

    NO_ACCESS = 0
    ACCESS = 1
    AUTHENTICATED_ACCESS = 2


class ImageTransferAttribute(IntEnum):
    """Image transfer (class_id 18, version 0), Blue Book 4.4.6."""

    LOGICAL_NAME = 1
    IMAGE_BLOCK_SIZE = 2
    IMAGE_TRANSFERRED_BLOCKS_STATUS = 3
    IMAGE_FIRST_NOT_TRANSFERRED_BLOCK_NUMBER = 4
    IMAGE_TRANSFER_ENABLED = 5
    IMAGE_TRANSFER_STATUS = 6
    IMAGE_TO_ACTIVATE_INFO = 7


class ImageTransferMethod(IntEnum):
    """Image transfer methods."""

    IMAGE_TRANSFER_INITIATE = 1
    IMAGE_BLOCK_TRANSFER = 2
    IMAGE_VERIFY = 3
    IMAGE_ACTIVATE = 4


class ImageTransferStatus(IntEnum):
    """Image transfer ``image_transfer_status`` (Blue Book 4.4.6)."""

    NOT_INITIATED = 0
    INITIATED = 1
    VERIFICATION_INITIATED = 2
    VERIFICATION_SUCCESSFUL = 3
    VERIFICATION_FAILED = 4
    ACTIVATION_INITIATED = 5
    ACTIVATION_SUCCESSFUL = 6
    ACTIVATION_FAILED = 7


class PushSetupAttribute(IntEnum):
    """Push setup (class_id 40, version 0), Blue Book 4.4.8."""

    LOGICAL_NAME = 1
    PUSH_OBJECT_LIST = 2
    SEND_DESTINATION_AND_METHOD = 3
    COMMUNICATION_WINDOW = 4
    RANDOMISATION_START_INTERVAL = 5
    NUMBER_OF_RETRIES = 6
    REPETITION_DELAY = 7


class PushSetupMethod(IntEnum):
    """Push setup methods."""

    PUSH = 1


class SecuritySetupAttribute(IntEnum):
    """Security setup (class_id 64, version 1), Blue Book 4.4.7."""

    LOGICAL_NAME = 1
    SECURITY_POLICY = 2
    SECURITY_SUITE = 3
    CLIENT_SYSTEM_TITLE = 4
    SERVER_SYSTEM_TITLE = 5
    CERTIFICATES = 6


class SecuritySetupMethod(IntEnum):
    """Security setup methods (version 1; in version 0 method 2 was global_key_transfer)."""

    SECURITY_ACTIVATE = 1
    KEY_TRANSFER = 2
    KEY_AGREEMENT = 3
    GENERATE_KEY_PAIR = 4
    GENERATE_CERTIFICATE_REQUEST = 5
    IMPORT_CERTIFICATE = 6
    EXPORT_CERTIFICATE = 7
    REMOVE_CERTIFICATE = 8


class SecurityPolicy(IntFlag):
    """Security setup version 1 ``security_policy`` bits (Blue Book 4.4.7); bits 0 and 1 are unused."""

    AUTHENTICATED_REQUEST = 0x04
    ENCRYPTED_REQUEST = 0x08
    DIGITALLY_SIGNED_REQUEST = 0x10
    AUTHENTICATED_RESPONSE = 0x20
    ENCRYPTED_RESPONSE = 0x40
    DIGITALLY_SIGNED_RESPONSE = 0x80


class SecuritySuite(IntEnum):
    """Security setup ``security_suite`` (Blue Book 4.4.7; Green Book security suites)."""

    AES_GCM_128 = 0
    ECDH_ECDSA_AES_GCM_128_SHA_256 = 1
    ECDH_ECDSA_AES_GCM_256_SHA_384 = 2


class KeyId(IntEnum):
    """``key_id`` in the key_transfer (global_key_transfer) method of Security setup."""

    GLOBAL_UNICAST_ENCRYPTION_KEY = 0
    GLOBAL_BROADCAST_ENCRYPTION_KEY = 1
    AUTHENTICATION_KEY = 2
    MASTER_KEY = 3
