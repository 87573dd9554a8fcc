// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Suppliers' internal balances
/// @notice Each supplier has a balance, the part of it reserved for claims against it (`locked`,
/// never above the balance) and the shortfalls it still owes (`debt`). Moves between balances create
/// and destroy nothing.
library SettlementAccounts {
    /// @notice A supplier's balance and the part of it reserved for claims. One slot.
    struct Account {
        uint128 balance;
        uint128 locked;
    }

    /// @notice `balance - locked`: what no claim reserves.
    function free(Account storage a) internal view returns (uint256) {
        return a.balance - a.locked; // Safe: locked <= balance always.
    }

    /// @notice `balance - locked - debt`, or zero: what may be withdrawn, reserved or escrowed.
    function available(Account storage a, uint256 debt) internal view returns (uint256) {
        uint256 f = free(a);
        return f > debt ? f - debt : 0;
    }

    /// @notice Moves `amount`, at most `from`'s balance, from `from`'s balance to `to`'s.
    /// @dev Cannot overflow: every balance is part of the contract's token balance, below 2^128.
    function move(mapping(address => Account) storage accounts, address from, address to, uint256 amount) internal {
        accounts[from].balance -= uint128(amount);
        accounts[to].balance += uint128(amount);
    }
}
