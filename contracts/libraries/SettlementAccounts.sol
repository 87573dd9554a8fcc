// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Suppliers' internal balances
/// @notice Each supplier has a balance and a locked part of it (reserved for the claims against it
/// that are not netted yet and for the shortfalls it still owes). Moves between balances create and
/// destroy nothing.
library SettlementAccounts {
    /// @notice A supplier's balance and the part of it reserved for claims and shortfalls. One slot.
    struct Account {
        uint128 balance;
        uint128 locked;
    }

    /// @notice `balance - locked`, or zero.
    function available(Account storage a) internal view returns (uint256) {
        (uint128 balance, uint128 locked) = (a.balance, a.locked);
        return balance > locked ? balance - locked : 0;
    }

    /// @notice Moves `amount`, at most `from`'s balance, from `from`'s balance to `to`'s.
    function move(mapping(address => Account) storage accounts, address from, address to, uint256 amount) internal {
        // Safe casts: amount <= from's balance (128 bits); reverts on underflow otherwise.
        accounts[from].balance -= uint128(amount);
        accounts[to].balance += uint128(amount);
    }
}
