"""Controlled vocabularies shared by the API and the dialects (OCPI names where OCPI has them)."""

from __future__ import annotations

from typing import Literal

ConnectorStandard = Literal[
    "CHADEMO",
    "CHAOJI",
    "DOMESTIC_A",
    "DOMESTIC_B",
    "DOMESTIC_C",
    "DOMESTIC_D",
    "DOMESTIC_E",
    "DOMESTIC_F",
    "DOMESTIC_G",
    "DOMESTIC_H",
    "DOMESTIC_I",
    "DOMESTIC_J",
    "DOMESTIC_K",
    "DOMESTIC_L",
    "DOMESTIC_M",
    "DOMESTIC_N",
    "DOMESTIC_O",
    "GBT_AC",
    "GBT_DC",
    "IEC_60309_2_single_16",
    "IEC_60309_2_three_16",
    "IEC_60309_2_three_32",
    "IEC_60309_2_three_64",
    "IEC_62196_T1",
    "IEC_62196_T1_COMBO",
    "IEC_62196_T2",
    "IEC_62196_T2_COMBO",
    "IEC_62196_T3A",
    "IEC_62196_T3C",
    "NEMA_5_20",
    "NEMA_6_30",
    "NEMA_6_50",
    "NEMA_10_30",
    "NEMA_10_50",
    "NEMA_14_30",
    "NEMA_14_50",
    "PANTOGRAPH_BOTTOM_UP",
    "PANTOGRAPH_TOP_DOWN",
    "SAE_J3400",
    "TESLA_R",
    "TESLA_S",
]
ConnectorFormat = Literal["SOCKET", "CABLE"]
PowerType = Literal["AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"]
PhaseRotation = Literal["RST", "RTS", "SRT", "STR", "TRS", "TSR"]
DeployState = Literal["Stock", "Production", "Deprecated"]
ChargerType = Literal["Public", "Home", "Business"]
Capability = Literal["CREDIT_CARD_PAYABLE", "REMOTE_START_STOP_CAPABLE", "RFID_READER"]
ContactlessType = Literal["Payter", "Nayax"]
VehicleType = Literal["car", "bicycle"]
TokenStatus = Literal["Accepted", "Blocked", "Expired", "Invalid"]
Connectivity = Literal["Online", "Offline"]
