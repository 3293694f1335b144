"""Operations code: reading cases for the people who run cancelflow."""
